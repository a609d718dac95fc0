require ["mime", "fileinto"];
if header :mime :anychild :contenttype
          "Content-Type" "text/html"
{
    fileinto "INBOX.html";
}
if exists :mime :anychild "Content-Disposition" { keep; }
if address :mime :anychild :is "From" "a@example.com" { keep; }
