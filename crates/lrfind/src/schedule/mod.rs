//! Learning-rate schedules with PyTorch's numbers.
