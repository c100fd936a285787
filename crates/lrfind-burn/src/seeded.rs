//! Seeded model construction.

use burn::prelude::*;

/// Builds a model from a seed: burn's parameter RNG is per device and shared by every thread, so
/// seeding and initialising happen under one lock — the same seed gives the same weights even when
/// several models are built at once (parallel tests, parallel runs). burn initialises parameters
/// lazily, on first use, so `build` must use them once (e.g. one forward pass) before returning.
pub fn seeded<M>(seed: u64, device: &Device, build: impl FnOnce(&Device) -> M) -> M {
    static INIT: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = INIT.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    device.seed(seed);
    build(device)
}
