require ["copy", "fileinto"];
fileinto :copy "incoming";
redirect :copy "bob@example.org";
