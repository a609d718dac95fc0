require ["fileinto", "imap4flags", "variables"];
if size :over 1M {
    addflag "MyFlags" "Big";
    if header :is "From" "boss@company.example.com" {
        # The message will be marked as "\Flagged Big" when filed
        addflag "MyFlags" "\\Flagged";
    }
    fileinto :flags "${MyFlags}" "Big messages";
}
if header :is "From" "grandma@example.net" {
    addflag "MyFlags" ["\\Answered", "$MDNSent"];
    fileinto :flags "${MyFlags}" "GrandMa";
}
# Handle the spam
if header :contains "Subject" "Make money fast" {
    removeflag "MyFlags" ["\\Flagged", "\\Answered"];
    setflag "\\Deleted";
    keep :flags "\\Seen";
}
if hasflag :contains "MyVar" "Junk" {
    discard;
    stop;
}
if hasflag ["\\Seen", "\\Flagged"] { keep; }
