require ["duplicate", "fileinto", "mailbox", "variables", "imap4flags", "envelope", "enotify"];
if duplicate {
    fileinto :create "Trash/Duplicate";
}
if header :matches "subject" "ALERT: *" {
    if duplicate :seconds 60 :uniqueid "${1}" {
        setflag "\\seen";
    }
    fileinto "Alerts";
}
if envelope :matches "from" "*" { set "sender" "${1}"; }
if header :matches "subject" "*" { set "subject" "${1}"; }
if not duplicate :seconds 1800 :uniqueid "${sender}"
{
    notify :message "[SIEVE] ${sender}: ${subject}"
           "mailto:123456789@sms.example.com";
}
if duplicate :header "X-Event-ID" :handle "notifier" :last { discard; }
