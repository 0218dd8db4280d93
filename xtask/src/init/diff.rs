//! A unified diff of two texts, for `init --dry-run`: the common start and end
//! are set aside, the middle is compared line by line (longest common
//! subsequence), and changes are shown with three lines of context.

use std::fmt::Write;

/// `--- a/PATH`, `+++ b/PATH` and the hunks; `old` is `None` for a new file.
pub fn unified(path: &str, old: Option<&str>, new: &str) -> String {
    let a: Vec<&str> = old.map(|o| o.lines().collect()).unwrap_or_default();
    let b: Vec<&str> = new.lines().collect();
    let mut out = String::new();
    let _ = writeln!(out, "--- {}", if old.is_some() { format!("a/{path}") } else { "/dev/null".into() });
    let _ = writeln!(out, "+++ b/{path}");
    let ops = script(&a, &b);
    // hunks: runs of changes with up to 3 equal lines around them
    const CONTEXT: usize = 3;
    let changed: Vec<usize> =
        ops.iter().enumerate().filter(|(_, op)| !matches!(op, Op::Same(..))).map(|(i, _)| i).collect();
    let mut i = 0;
    while i < changed.len() {
        let start = changed[i].saturating_sub(CONTEXT);
        let mut end = changed[i];
        while i < changed.len() && changed[i] <= end + 2 * CONTEXT + 1 {
            end = changed[i];
            i += 1;
        }
        let end = (end + CONTEXT + 1).min(ops.len());
        let (mut a0, mut b0) = (0, 0);
        for op in &ops[..start] {
            match op {
                Op::Same(..) => {
                    a0 += 1;
                    b0 += 1;
                }
                Op::Del(_) => a0 += 1,
                Op::Add(_) => b0 += 1,
            }
        }
        let hunk = &ops[start..end];
        let a_len = hunk.iter().filter(|op| !matches!(op, Op::Add(_))).count();
        let b_len = hunk.iter().filter(|op| !matches!(op, Op::Del(_))).count();
        let from = |n0: usize, len: usize| if len == 0 { n0 } else { n0 + 1 };
        let _ = writeln!(out, "@@ -{},{a_len} +{},{b_len} @@", from(a0, a_len), from(b0, b_len));
        for op in hunk {
            let _ = match op {
                Op::Same(l) => writeln!(out, " {l}"),
                Op::Del(l) => writeln!(out, "-{l}"),
                Op::Add(l) => writeln!(out, "+{l}"),
            };
        }
    }
    out
}

#[derive(Debug, PartialEq)]
enum Op<'a> {
    Same(&'a str),
    Del(&'a str),
    Add(&'a str),
}

fn script<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<Op<'a>> {
    let head = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let tail = a[head..].iter().rev().zip(b[head..].iter().rev()).take_while(|(x, y)| x == y).count();
    let (ma, mb) = (&a[head..a.len() - tail], &b[head..b.len() - tail]);
    let mut ops: Vec<Op> = a[..head].iter().map(|l| Op::Same(l)).collect();
    if ma.len().saturating_mul(mb.len()) > 4_000_000 {
        // too large to compare line by line: all out, all in
        ops.extend(ma.iter().map(|l| Op::Del(l)));
        ops.extend(mb.iter().map(|l| Op::Add(l)));
    } else {
        // lcs[i][j]: longest common subsequence of ma[i..] and mb[j..]
        let w = mb.len() + 1;
        let mut lcs = vec![0u32; (ma.len() + 1) * w];
        for i in (0..ma.len()).rev() {
            for j in (0..mb.len()).rev() {
                lcs[i * w + j] = if ma[i] == mb[j] {
                    lcs[(i + 1) * w + j + 1] + 1
                } else {
                    lcs[(i + 1) * w + j].max(lcs[i * w + j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < ma.len() || j < mb.len() {
            if i < ma.len() && j < mb.len() && ma[i] == mb[j] {
                ops.push(Op::Same(ma[i]));
                i += 1;
                j += 1;
            } else if i < ma.len() && (j == mb.len() || lcs[(i + 1) * w + j] >= lcs[i * w + j + 1]) {
                ops.push(Op::Del(ma[i]));
                i += 1;
            } else {
                ops.push(Op::Add(mb[j]));
                j += 1;
            }
        }
    }
    ops.extend(a[a.len() - tail..].iter().map(|l| Op::Same(l)));
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_file_and_one_changed_line() {
        assert_eq!(unified("x.toml", None, "a\nb\n"), "--- /dev/null\n+++ b/x.toml\n@@ -0,0 +1,2 @@\n+a\n+b\n");
        let old = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
        let new = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n";
        assert_eq!(
            unified("f", Some(old), new),
            "--- a/f\n+++ b/f\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n"
        );
        assert_eq!(unified("f", Some(old), old), "--- a/f\n+++ b/f\n");
    }

    #[test]
    fn far_apart_changes_are_two_hunks() {
        let old: String = (1..=20).map(|i| format!("{i}\n")).collect();
        let new: String = (1..=20)
            .map(|i| match i {
                2 => "two\n".to_string(),
                19 => "nineteen\n".to_string(),
                _ => format!("{i}\n"),
            })
            .collect();
        let d = unified("f", Some(&old), &new);
        assert_eq!(d.matches("@@ -").count(), 2, "{d}");
        assert!(d.contains("+nineteen\n") && d.contains("-2\n+two\n"), "{d}");
        let appended = format!("{old}21\n");
        assert!(unified("f", Some(&old), &appended).ends_with(" 18\n 19\n 20\n+21\n"));
    }
}
