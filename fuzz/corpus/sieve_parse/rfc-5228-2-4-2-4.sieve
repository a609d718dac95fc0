require "encoded-character";
if header :contains "subject" "$${hex:24 24}" { discard; }
if header :contains "subject" "${unicode:40}${UNICODE:40}${UnICoDE:0000040}" { keep; }
