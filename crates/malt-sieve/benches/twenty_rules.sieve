require ["fileinto", "imap4flags", "variables", "envelope", "subaddress", "relational",
  "comparator-i;ascii-numeric", "body", "regex", "date", "vacation", "mailbox", "copy"];
if header :matches "list-id" "*<*.*>*" { fileinto :create "Lists/${2}"; stop; }
if exists "list-unsubscribe" { fileinto "Newsletters"; stop; }
if address :domain :is "from" ["example.com", "example.net"] { addflag "$Work"; }
if address :is "from" ["boss@example.com", "ceo@example.com"] { addflag "\\Flagged"; }
if header :contains "subject" ["invoice", "receipt", "order confirmation"] { fileinto "Finance"; }
if header :value "ge" :comparator "i;ascii-numeric" "x-spam-score" "8" { fileinto "Junk"; stop; }
if header :contains "x-spam-flag" "yes" { fileinto "Junk"; stop; }
if envelope :detail "to" "shopping" { fileinto "Shopping"; }
if address :user "to" "postmaster" { fileinto "Admin"; }
if header :regex "subject" "^\\[(jira|github)\\] " { fileinto "Dev"; }
if anyof (header :contains "from" "noreply", header :contains "from" "no-reply") { addflag "$Auto"; }
if size :over 5M { fileinto "Large"; }
if body :text :contains ["unsubscribe here", "view in browser"] { fileinto "Newsletters"; }
if header :is "precedence" ["bulk", "junk"] { fileinto "Bulk"; }
if date :value "lt" :originalzone "date" "year" "2000" { fileinto "Old"; }
if header :contains ["to", "cc"] "team@example.org" { fileinto :copy "Team"; }
if address :localpart :matches "from" "*-bounces*" { discard; stop; }
if header :matches "subject" "Re: *" { addflag "$Reply"; }
if not exists "message-id" { fileinto "Suspicious"; }
if header :contains "subject" "out of office" { vacation :days 7 "I am away until Monday."; }
