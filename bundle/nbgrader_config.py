"""nbgrader settings for the Validate button and `nbgrader validate` (loaded from the folder JupyterLab starts in)."""

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

# `nbgrader validate` cuts every line of an error at Validator.width - 3
# characters (90 by default), which loses the "got ..." end of most of the
# course's messages. Each line of a check's message stays within this width.
c.Validator.width = 300
# The slowest cell of a lesson takes about 20 s on a laptop; 60 s per cell leaves a margin.
c.Execute.timeout = 60
