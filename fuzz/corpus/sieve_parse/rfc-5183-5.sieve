require ["environment", "fileinto"];
if environment :contains "item" "value" { keep; }
if environment :is "location" "MS" { fileinto "moved"; }
if environment :matches "remote-host" "*.example.com" { keep; }
