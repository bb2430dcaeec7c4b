"""Layer 2: datasets from files or the hub → validated canonical examples (see example.py).

Public entry points: `load_raw` and `load_data` (load.py), `load_dataset_specs` (dataset_info.py),
`convert_batch` (convert.py), `FORMATS` (formats/)."""
