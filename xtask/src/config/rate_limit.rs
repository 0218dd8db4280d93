//! `[cargo.rate-limit]` / `[python.rate-limit]`: a table of actions, each a
//! limit or `false`.

use toml_edit::Item;

use super::schema::unknown_key_in;
use super::values::wrong_type;
use super::RateLimitConfig;
use crate::rate::Limit;

/// A `rate-limit` table: `new`, `update`, `yank`, each `{ burst = N,
/// every-seconds = S }` or `false` (not limited).
pub(super) fn rate_limit(item: &Item, key: &str) -> anyhow::Result<RateLimitConfig> {
    let table = item.as_table_like().ok_or_else(|| wrong_type(key, "a table of new, update, yank"))?;
    let mut out = RateLimitConfig::default();
    for (action, v) in table.iter() {
        let at = format!("{key}.{action}");
        let slot = match action {
            "new" => &mut out.new,
            "update" => &mut out.update,
            "yank" => &mut out.yank,
            _ => return Err(unknown_key_in(action, &["new", "update", "yank"], &format!("{key}."))),
        };
        *slot = Some(limit(v, &at)?);
    }
    Ok(out)
}

/// `{ burst = 30, every-seconds = 60 }`, or `false`.
fn limit(item: &Item, key: &str) -> anyhow::Result<Option<Limit>> {
    const SHAPE: &str = "{ burst = N, every-seconds = S } (whole numbers of at least 1), or false";
    if item.as_bool() == Some(false) {
        return Ok(None);
    }
    let t = item.as_table_like().ok_or_else(|| wrong_type(key, SHAPE))?;
    let whole = |k: &str| t.get(k).and_then(Item::as_integer).filter(|n| *n >= 1);
    let (Some(burst), Some(every)) = (whole("burst"), whole("every-seconds")) else {
        return Err(wrong_type(key, SHAPE));
    };
    if let Some((k, _)) = t.iter().find(|(k, _)| !["burst", "every-seconds"].contains(k)) {
        return Err(unknown_key_in(k, &["burst", "every-seconds"], &format!("{key}.")));
    }
    Ok(Some(Limit::new(u32::try_from(burst).unwrap_or(u32::MAX), every as u64)))
}
