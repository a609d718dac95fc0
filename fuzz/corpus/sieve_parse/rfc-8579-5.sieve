require ["fileinto", "special-use", "mailbox"];
fileinto :specialuse "\\Junk" "Spam";
fileinto :specialuse "\\Junk" :create "Spam";
if specialuse_exists "\\Junk" { keep; }
if specialuse_exists "Spam" ["\\Junk", "\\Archive"] { keep; }
