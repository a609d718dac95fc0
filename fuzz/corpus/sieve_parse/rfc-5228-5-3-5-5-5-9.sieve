if anyof (exists "X-Spam", size :over 1M, allof (true, not false)) {
    discard;
    stop;
}
if exists ["From","Date"] { keep; }
if size :under 1k { keep; }
