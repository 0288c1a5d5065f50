//! Machine-readable codes drawn as vector graphics: QR, Code 128, and the EPC (SEPA) payment payload.
