"""The one exception base of device/: a config, camera, printer, controls box or archive that
cannot be used raises a DeviceError whose message names the part and what to do. The CLI
prints it in one line. Each subclass also keeps the built-in kind it always was."""


class DeviceError(Exception):
    pass
