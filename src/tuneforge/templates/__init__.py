"""Layer 2: chat templates — jinja files (templates/jinja/) + a registry of their specs, and rendering a
conversation to token ids with an assistant mask.

Public entry points: `get_template`, `TEMPLATES` (registry.py), `TemplateSpec` (spec.py),
`render`, `render_prompt`, `render_text`, `Rendered` (render.py)."""
