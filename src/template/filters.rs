//! Template filters (money, numbers, percent, dates) and their locale data.
