# TorchScriptTest: prints its arguments; exits 3 when the first one is "fail".
import sys
print("started")
print(" ".join(sys.argv[1:]))
if sys.argv[1:2] == ["fail"]:
    print("failing on purpose", file=sys.stderr)
    sys.exit(3)
