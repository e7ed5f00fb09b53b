//! The hash maps of the index and the kustomize model: keyed by names, labels and paths from the
//! repository, which is untrusted, so the hasher must stay randomly keyed (no crafted
//! collisions); aHash is that, and several times faster than std's SipHash on these short keys
//! (SipHash was a tenth of a lint of a clean repository).

pub type HashMap<K, V> = std::collections::HashMap<K, V, ahash::RandomState>;
pub type HashSet<K> = std::collections::HashSet<K, ahash::RandomState>;
