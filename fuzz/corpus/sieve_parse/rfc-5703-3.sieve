require ["foreverypart", "mime", "fileinto"];
foreverypart
{
    if allof (
        header :mime :param "filename" :contains
            "Content-Disposition" "important",
        header :mime :subtype "Content-Type" "pdf",
        size :over 100K)
    {
        fileinto "INBOX.important";
        break;
    }
}
