require ["enotify", "variables"];
if not valid_notify_method ["mailto:",
                            "http://gw.example.net/notify?test"] {
    stop;
}
if notify_method_capability
      "xmpp:tim@example.com?message;subject=SIEVE"
      "Online"
      "yes" {
    notify :importance "1" :message "You got mail"
          "mailto:tim@example.com";
} else {
    notify :from "alm@example.com" :options ["opt=value"] :message "You got mail" "mailto:tim@example.com";
}
set :encodeurl "body_param" "Safe body&evil=evilbody";
notify "mailto:tim@example.com?body=${body_param}";
