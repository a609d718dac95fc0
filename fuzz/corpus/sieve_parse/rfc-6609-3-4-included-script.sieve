require ["variables", "include"];
global ["test", "test_mailbox"];

if header :contains "Subject" "${test}"
{
    set "test_mailbox" "spam-${test}";
    return;
}
set "global.flag" "1";
if string "${global.flag}" "1" { stop; }
