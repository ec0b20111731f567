"""Click's own words in Vietnamese: usage lines, errors, help headings, the help of --help and --version.

Click looks up every word it prints with gettext (`_("Usage:")`, `ngettext(…)`), through the names `_` and
`ngettext` that each of its modules imports. `install()` points those names at `WORDS`, the messages a user
of this command line can meet; any other stays in click's English. It runs before the commands are declared,
since some words (the help of --version) are looked up then. The exit codes stay
click's: 2 for a usage error, 1 for any other error.

`Command` and `Group` put the usage line's placeholders in Vietnamese too ("[TÙY CHỌN]", "LỆNH").
"""

from __future__ import annotations

import click
from click import core, decorators, exceptions, formatting, parser, types

# words left over after the options (most often a path with a space, cut in two by the shell)
EXTRA = 'Thừa tham số ({args}); đường dẫn có dấu cách cần đặt trong dấu nháy kép, ví dụ --output "ket qua"'
# click's message -> ours; a message with a plural has both forms here (Vietnamese has one)
WORDS = {
    "Usage:": "Cách dùng:",
    "Options": "Tùy chọn",
    "Commands": "Lệnh",
    "Error: {message}": "Lỗi: {message}",
    "Try '{command} {option}' for help.": "Xem thêm: {command} {option}",
    "Aborted!": "Đã dừng.",
    "Show this message and exit.": "In hướng dẫn này rồi thoát.",
    "Show the version and exit.": "In số phiên bản rồi thoát.",
    "%(prog)s, version %(version)s": "%(prog)s, phiên bản %(version)s",
    "default: {default}": "mặc định: {default}",
    "required": "bắt buộc",
    "No such option {name!r}.": "Không có tùy chọn {name!r}.",
    "No such command {name!r}.": "Không có lệnh {name!r}.",
    "Did you mean {possibility}?": "Có phải là {possibility}?",
    "(Did you mean one of: {possibilities}?)": "(Có phải là một trong: {possibilities}?)",
    "Missing command.": "Thiếu lệnh.",
    "Got unexpected extra argument ({args})": EXTRA,
    "Got unexpected extra arguments ({args})": EXTRA,
    "Invalid value for {param_hint}: {message}": "Giá trị không dùng được cho {param_hint}: {message}",
    "Invalid value: {message}": "Giá trị không dùng được: {message}",
    "{value!r} is not {choice}.": "{value!r} không phải {choice}.",
    "{value!r} is not one of {choices}.": "{value!r} không phải một trong {choices}.",
    "{value!r} is not a valid {number_type}.": "{value!r} không phải một số nguyên.",
    "{value} is not in the range {range}.": "{value} nằm ngoài khoảng {range}.",
    "{name} {filename!r} does not exist.": "Không tìm thấy {filename!r}.",
    "{name} {filename!r} is a file.": "{filename!r} là một tệp, cần một thư mục.",  # a folder option only
    "{name} {filename!r} is a directory.": "{filename!r} là một thư mục, cần một tệp.",  # a file option only
    "{name} {filename!r} is not readable.": "Không có quyền đọc {filename!r}.",
    "Missing argument": "Thiếu tham số",
    "Missing option": "Thiếu tùy chọn",
    "Missing parameter": "Thiếu tham số",
    "Option {name!r} requires an argument.": "Tùy chọn {name!r} cần một giá trị theo sau.",
    "Option {name!r} requires {nargs} arguments.": "Tùy chọn {name!r} cần {nargs} giá trị theo sau.",
    "Option {name!r} does not take a value.": "Tùy chọn {name!r} không nhận giá trị.",
}


def install() -> None:
    """Make click speak Vietnamese (see the module's docstring)."""
    for module in (core, decorators, exceptions, formatting, parser, types):
        if hasattr(module, "_"):
            module._ = _word  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = _plural  # type: ignore[attr-defined]


_SPOKEN = {"lang": "vi"}


def speak(lang: str) -> None:
    """Click's words from now on in `lang`: a command given --lang en reports its errors in English."""
    _SPOKEN["lang"] = lang


def _word(message: str) -> str:
    return WORDS.get(message, message) if _SPOKEN["lang"] == "vi" else message


def _plural(singular: str, plural: str, n: int) -> str:
    return _word(singular if n == 1 else plural)


class Command(click.Command):
    """A command whose usage line reads "python -m pipeline assess [TÙY CHỌN]"."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("options_metavar", "[TÙY CHỌN]")
        super().__init__(*args, **kwargs)


class Group(Command, click.Group):
    """A group whose usage line reads "python -m pipeline [TÙY CHỌN] LỆNH [THAM SỐ]..."; its commands and groups
    are of these classes too."""

    command_class = Command
    group_class = type  # a group made with `@group.group()` is of this class

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("subcommand_metavar", "LỆNH [THAM SỐ]...")
        super().__init__(*args, **kwargs)

    def main(self, *args, **kwargs):
        """Every command line starts in Vietnamese, whatever language the last one in this process spoke."""
        speak("vi")
        return super().main(*args, **kwargs)
