//! The PROXY protocol v1/v2 reader never panics or reads past a bounded header on any input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use malt_config::ProxyProtocol;

fuzz_target!(|data: &[u8]| {
    let Ok(rt) = tokio::runtime::Builder::new_current_thread().build() else { return };
    rt.block_on(async {
        for mode in [ProxyProtocol::V1, ProxyProtocol::V2, ProxyProtocol::Any] {
            let mut input = data;
            let _ = malt_server::proxy::read_header(&mut input, mode).await;
        }
    });
});
