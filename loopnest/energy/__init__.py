"""Energy and area: Accelergy-compatible tables (ERT/ART), compound components, estimators."""
