fn main() { println!("{}", acme_http::get()); }
