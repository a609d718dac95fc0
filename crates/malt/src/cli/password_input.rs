//! Reading a password: prompted twice on a terminal, or one line from standard input
//! (`--password-stdin`, for scripts).

use std::io::BufRead;

pub fn read(from_stdin: bool) -> anyhow::Result<String> {
    let pw = if from_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        let a = rpassword::prompt_password("Password: ")?;
        let b = rpassword::prompt_password("Repeat password: ")?;
        if a != b {
            anyhow::bail!("the passwords do not match");
        }
        a
    };
    if pw.is_empty() {
        anyhow::bail!("the password is empty");
    }
    Ok(pw)
}
