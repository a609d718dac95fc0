require ["fileinto", "foo"];
if header :is :contains "a" {
  fileinfo "x";
} else {} elsif true {}
keep :flags;
