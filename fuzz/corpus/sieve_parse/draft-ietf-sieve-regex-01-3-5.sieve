require ["regex", "variables", "fileinto"];
if address :regex :comparator "i;ascii-casemap" "from" "^.*[.]example\\.com$" { keep; }
if header :regex "List-ID" "<(.*)\\.example\\.com>" {
    set :lower :quoteregex "list" "${1}";
    fileinto "lists.${list}";
}
