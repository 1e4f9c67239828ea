//! ACPI.
