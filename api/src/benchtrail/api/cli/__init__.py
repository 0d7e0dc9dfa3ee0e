"""The ``benchtrail`` command line (:data:`benchtrail.api.cli.main.main`) and its rendering."""
