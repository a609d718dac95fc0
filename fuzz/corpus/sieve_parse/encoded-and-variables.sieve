require ["variables", "encoded-character", "regex"];
set :lower :quoteregex "a" "${hex:24}{b}${unicode:1F600}";
if string :regex "${a}" "^(x|y)+$" { stop; }
