pub fn get() -> u32 { acme_core::answer() }
