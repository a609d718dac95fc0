require ["editheader", "variables"];
/* Don't redirect if we already have */
if not header :contains "X-Sieve-Filtered"
        ["<kim@job.example.com>", "<kim@home.example.com>"]
{
    addheader "X-Sieve-Filtered" "<kim@job.example.com>";
    redirect "kim@home.example.com";
}
if header :matches "Subject" "*" {
    deleteheader "Subject";
    addheader :last "Subject" "[Spam] ${1}";
}
deleteheader :index 1 :last :contains "Received" "example.org";
deleteheader :matches "X-Spam-*" ["yes*", "maybe"];
