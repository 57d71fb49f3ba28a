// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
pragma Singleton
import QtQuick

// The dashboard's palette: a dark theme with one colour per task outcome.
QtObject {
    readonly property color background: "#0d1117"
    readonly property color surface: "#161b26"
    readonly property color surfaceRaised: "#1e2533"
    readonly property color surfaceHover: "#262f40"
    readonly property color border: "#2a3345"
    readonly property color track: "#263042"
    readonly property color text: "#e6edf3"
    readonly property color muted: "#8b96a8"
    readonly property color faint: "#5b6577"

    readonly property color accent: "#58a6ff"   // throughput, primary actions
    readonly property color completed: "#3fb950"
    readonly property color failed: "#f85149"
    readonly property color timedOut: "#d29922"
    readonly property color canceled: "#a371f7"
    readonly property color pending: "#79c0ff"

    function loadColor(load) {
        return load < 0.6 ? completed : load < 0.9 ? timedOut : failed
    }
    // 1234567 -> "1 234 567": counters stay readable as they grow.
    function grouped(n) {
        return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, "\u2009")
    }
}
