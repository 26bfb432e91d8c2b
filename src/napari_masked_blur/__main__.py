"""``python -m napari_masked_blur``: the same as the ``napari-masked-blur`` command."""

import sys

from napari_masked_blur._command import main

sys.exit(main())
