//! A seam where a test cuts an operation between two of its steps, as if the function died
//! there, to prove that what the operation promises as one unit (a credential change: new hash,
//! retired reset links, ended sessions) is all or nothing.
//!
//! An operation names its steps (`deps.cuts.check("password set")?` after each); deployed
//! functions build [`Cuts::none`], whose check always passes. A test builds its dependencies
//! with [`Cuts::at`] a step: the check there fails with [`Cut`], which the operation returns like
//! any failure (inside a transaction: aborted, as a transaction whose function died is by the
//! server once its lifetime passes).

/// Where an operation is cut, if anywhere.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cuts {
    at: Option<&'static str>,
}

/// The operation was cut at this step (a test's simulated death).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("operation cut after step {0:?}")]
pub struct Cut(pub &'static str);

impl Cuts {
    /// No cut: what every deployed function uses.
    pub const fn none() -> Self {
        Self { at: None }
    }

    /// Cut right after `step`.
    pub const fn at(step: &'static str) -> Self {
        Self { at: Some(step) }
    }

    /// Marks the end of `step`: `Err` when the operation is cut here.
    pub fn check(&self, step: &'static str) -> Result<(), Cut> {
        match self.at {
            Some(at) if at == step => Err(Cut(step)),
            _ => Ok(()),
        }
    }
}
