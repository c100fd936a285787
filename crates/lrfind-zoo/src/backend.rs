//! The burn backend a run trains on (`--backend`): flex on the CPU in every build, a GPU through
//! CUDA or wgpu in a build with that feature.

use burn::prelude::*;

/// A burn backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Backend {
    /// burn's flex backend on the CPU (every build).
    #[default]
    Flex,
    /// CUDA, GPU 0 (a build with the `cuda` feature).
    Cuda,
    /// wgpu on the best GPU Vulkan, Metal or DX12 finds (a build with the `wgpu` feature).
    Wgpu,
    /// LibTorch on the CPU: PyTorch's kernels (a build with the `tch` feature).
    Libtorch,
}

/// The backend is not in this build.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "this build has no {} backend: build with `--features {}` (cargo install --path \
     crates/lrfind-cli --features {})", .0.name(), .0.feature(), .0.feature()
)]
pub struct NotBuilt(pub Backend);

impl Backend {
    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Flex => "flex",
            Backend::Cuda => "cuda",
            Backend::Wgpu => "wgpu",
            Backend::Libtorch => "libtorch",
        }
    }

    /// The cargo feature that builds it in (none for flex).
    pub fn feature(self) -> &'static str {
        match self {
            Backend::Libtorch => "tch",
            other => other.name(),
        }
    }

    /// What ran, for reports (`device` in `lr_find.json`).
    pub fn describe(self) -> &'static str {
        match self {
            Backend::Flex => "flex (CPU)",
            Backend::Cuda => "cuda:0 (GPU)",
            Backend::Wgpu => "wgpu (GPU)",
            Backend::Libtorch => "libtorch (CPU)",
        }
    }

    /// Its device with automatic differentiation, or why this build cannot give it.
    pub fn device(self) -> Result<Device, NotBuilt> {
        match self {
            Backend::Flex => Ok(Device::flex().autodiff()),
            #[cfg(feature = "cuda")]
            Backend::Cuda => Ok(Device::cuda(0).autodiff()),
            #[cfg(feature = "wgpu")]
            Backend::Wgpu => Ok(Device::wgpu(burn::tensor::DeviceKind::default()).autodiff()),
            // burn 0.22 marks its tch backend deprecated (CubeCL backends are its future); it is
            // still the one way to run PyTorch's own CPU kernels inside burn.
            #[cfg(feature = "tch")]
            #[allow(deprecated)]
            Backend::Libtorch => Ok(Device::libtorch().autodiff()),
            #[allow(unreachable_patterns)]
            other => Err(NotBuilt(other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flex_is_always_built_and_the_others_only_with_their_feature() {
        assert!(Backend::Flex.device().is_ok());
        for (b, built) in [
            (Backend::Cuda, cfg!(feature = "cuda")),
            (Backend::Wgpu, cfg!(feature = "wgpu")),
            (Backend::Libtorch, cfg!(feature = "tch")),
        ] {
            if !built {
                let e = b.device().unwrap_err();
                assert!(e
                    .to_string()
                    .contains(&format!("--features {}", b.feature())));
            }
        }
    }
}
