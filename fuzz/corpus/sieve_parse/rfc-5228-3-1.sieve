if header :contains ["From"] ["coyote"] {
    redirect "acm@example.com";
} elsif header :contains "Subject" "$$$" {
    redirect "postmaster@example.com";
} else {
    redirect "field@example.com";
}
