require ["date", "relational", "fileinto", "variables", "editheader", "vacation", "index"];
if allof(header :is "from" "boss@example.com",
         date :value "ge" :originalzone "date" "hour" "09",
         date :value "lt" :originalzone "date" "hour" "17")
{ fileinto "urgent"; }
if anyof(date :is "received" "weekday" "0",
         date :is "received" "weekday" "6")
{ fileinto "weekend"; }
if currentdate :matches "month" "*" { set "month" "${1}"; }
if currentdate :matches "year"  "*" { set "year" "${1}"; }
fileinto "${month}-${year}";
if currentdate :matches "std11" "*"
  { addheader "Processing-date" "${0}"; }
if allof(currentdate :value "ge" "date" "2007-06-30",
         currentdate :value "le" "date" "2007-07-07")
{ vacation :days 7  "I'm away during the first week in July."; }
if date :value "gt" :index 1 :zone "-0500" "received" "iso8601" "2007-02-26T09:00:00-05:00"
{ redirect "aftercutoff@example.org"; }
if header :index 2 :matches "received" "*(* [*.*.*.*])*" { keep; }
if address :index 1 :last :is "to" "a@example.org" { keep; }
