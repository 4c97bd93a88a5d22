#!/usr/bin/env sh
# What the tests need from the system: Debian's chromium, which the web view's browser tests
# drive through Playwright (executable_path=/usr/bin/chromium; Playwright's own browser
# download is never used). Installed only when missing.
set -eu
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update && apt-get install -y chromium
  else
    sudo apt-get update && sudo apt-get install -y chromium
  fi
fi
