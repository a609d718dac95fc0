require ["mailbox", "fileinto", "reject"];
if mailboxexists "Partners" {
    fileinto "Partners";
} else {
    reject "This message was not accepted by the Mailstore";
}
fileinto :create "INBOX.folder";
