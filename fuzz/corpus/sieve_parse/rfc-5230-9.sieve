require "vacation";
vacation :days 7 :from "hemingway@example.com" "Gone Fishin'";
vacation :subject "Out of office" :handle "ran-away" "I'm out and can't read my mail.";
