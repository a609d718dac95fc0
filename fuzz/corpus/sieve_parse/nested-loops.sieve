require ["foreverypart", "extracttext", "variables", "mime"];
foreverypart :name "a" { foreverypart { if header :mime :param ["charset"] "content-type" "utf-8" { extracttext :first 10 "t"; break :name "a"; } } }
