//! The plan as JSON, CSV and a table.

use std::fmt::Write;

use super::{Plan, Status};

pub fn render_json(plan: &Plan) -> String {
    let mut s = serde_json::to_string_pretty(plan).expect("plan is plain data");
    s.push('\n');
    s
}

pub fn render_csv(plan: &Plan) -> String {
    let mut out = String::from("order,level,name,ecosystem,path,version,next_version,bump,status,reason\n");
    for e in &plan.packages {
        let fields = [
            e.order.to_string(),
            e.level.to_string(),
            e.name.clone(),
            e.ecosystem.as_str().to_string(),
            e.path.clone(),
            e.version.clone(),
            e.next_version.clone().unwrap_or_default(),
            e.bump.to_string(),
            e.status.as_str().to_string(),
            e.reason.clone(),
        ];
        let row: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

fn csv_field(f: &str) -> String {
    if f.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f.to_string()
    }
}

pub fn render_table(plan: &Plan) -> String {
    let headers = ["#", "lvl", "package", "eco", "version", "bump", "status", "reason"];
    let rows: Vec<[String; 8]> = plan
        .packages
        .iter()
        .map(|e| {
            let version = match &e.next_version {
                Some(n) if *n != e.version => format!("{} -> {n}", e.version),
                _ => e.version.clone(),
            };
            [
                e.order.to_string(),
                e.level.to_string(),
                e.name.clone(),
                e.ecosystem.as_str().to_string(),
                version,
                e.bump.to_string(),
                e.status.as_str().to_string(),
                e.reason.clone(),
            ]
        })
        .collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
    for r in &rows {
        for (k, f) in r.iter().enumerate().take(7) {
            widths[k] = widths[k].max(f.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: Vec<&str>, out: &mut String| {
        let mut s = String::new();
        for (k, c) in cells.iter().enumerate() {
            if k == 7 {
                s.push_str(c);
            } else {
                let _ = write!(s, "{c:<w$}  ", w = widths[k]);
            }
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(headers.to_vec(), &mut out);
    for r in &rows {
        line(r.iter().map(String::as_str).collect(), &mut out);
    }
    let count = |s: Status| plan.packages.iter().filter(|e| e.status == s).count();
    let _ = writeln!(
        out,
        "\n{} to release, {} skipped, {} excluded",
        count(Status::Release),
        count(Status::Skip),
        count(Status::Excluded)
    );
    if let Some(t) = &plan.umbrella_tag {
        let _ = writeln!(out, "umbrella tag: {t}");
    }
    out
}
