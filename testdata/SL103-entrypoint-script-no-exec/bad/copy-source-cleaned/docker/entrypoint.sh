#!/bin/sh
"$@"
