require ["ihave", "fileinto"];
if header :contains "From" "boss@example.com" {
    fileinto "priority";
} elsif ihave "body" {
    if body :contains "viagra" { fileinto "spam"; }
} elsif ihave "x-unknown-extension" {
    x_unknown_command "anything" :goes;
} else {
    error "this script needs the body extension";
}
