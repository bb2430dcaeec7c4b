"""The template specs, one module per family of layouts; `templates/registry.py` joins them into the one
`TEMPLATES` registry (look names up there, never here). Each module holds a tuple `SPECS` of `TemplateSpec`s."""
