"""PyInstaller runtime hook of the cpu bundle variant (see packaging/loupe.spec).

That bundle lacks the cuDNN kernels and NVRTC builtins, so a visible GPU would make torch pick CUDA
and then fail on the first convolution. Hiding the GPUs before torch is imported keeps it on the CPU.
"""

import os

os.environ["CUDA_VISIBLE_DEVICES"] = ""
