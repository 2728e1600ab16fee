import React, { useEffect, useRef, useState } from "react";

// The same code held in front of the camera is reported once, not on every frame.
const SAME_CODE_MS = 8000;
// ZXing's scan loop calls back after every attempt, and ends for good on an error it does
// not expect (a frame it could not draw, say): quiet for this long, the scan starts over.
const STALLED_MS = 2500;

function problemOf(error) {
  const name = (error && error.name) || "";
  if (name === "NotAllowedError" || name === "SecurityError") return "Camera access was refused.";
  if (name === "NotFoundError" || name === "OverconstrainedError") return "No camera found.";
  if (name === "NotReadableError") return "The camera is in use by another program.";
  return "The camera could not be started.";
}

// A QR code scanner on the device's camera (ZXing's @zxing/browser, loaded on first use):
// `onScan(text)` for each code read. Without a camera (or without the permission) it says
// so and stays out of the way: codes can still be typed or pasted on the page.
export function QrScanner({ onScan, startLabel, stopLabel }) {
  const videoRef = useRef(null);
  const controlsRef = useRef(null);
  const mountedRef = useRef(true);
  const lastRef = useRef({ text: "", at: 0 });
  const tickRef = useRef(0);
  const onScanRef = useRef(onScan);
  const [phase, setPhase] = useState("idle"); // idle · starting · running · failed
  const [problem, setProblem] = useState("");

  onScanRef.current = onScan;

  const stop = () => {
    if (controlsRef.current) controlsRef.current.stop();
    controlsRef.current = null;
    if (mountedRef.current) setPhase("idle");
  };

  useEffect(() => {
    mountedRef.current = true;
    return () => {
      mountedRef.current = false;
      if (controlsRef.current) controlsRef.current.stop();
      controlsRef.current = null;
    };
  }, []);

  const start = async () => {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      setPhase("failed");
      setProblem("This browser offers no camera here.");
      return;
    }
    setPhase("starting");
    setProblem("");
    try {
      const { BrowserQRCodeReader } = await import("@zxing/browser");
      const reader = new BrowserQRCodeReader(undefined, { delayBetweenScanAttempts: 150 });
      const controls = await reader.decodeFromConstraints(
        { video: { facingMode: "environment" } },
        videoRef.current,
        (result) => {
          tickRef.current = Date.now();
          if (!result) return;
          const text = result.getText();
          const now = Date.now();
          const last = lastRef.current;
          if (text === last.text && now - last.at < SAME_CODE_MS) return;
          lastRef.current = { text, at: now };
          if (onScanRef.current) onScanRef.current(text);
        },
      );
      if (!mountedRef.current) {
        controls.stop();
        return;
      }
      controlsRef.current = controls;
      tickRef.current = Date.now();
      setPhase("running");
    } catch (error) {
      controlsRef.current = null;
      if (!mountedRef.current) return;
      setPhase("failed");
      setProblem(problemOf(error));
    }
  };

  useEffect(() => {
    if (phase !== "running") return undefined;
    const watchdog = setInterval(() => {
      if (Date.now() - tickRef.current < STALLED_MS || !controlsRef.current) return;
      controlsRef.current.stop();
      controlsRef.current = null;
      start();
    }, 1000);
    return () => clearInterval(watchdog);
  }, [phase]);

  const running = phase === "running" || phase === "starting";
  return (
    <div className="qr-scanner" data-testid="qr-scanner" data-phase={phase}>
      <video
        ref={videoRef}
        className="qr-scanner-video"
        muted
        playsInline
        hidden={!running}
        data-testid="qr-scanner-video"
      />
      <button
        type="button"
        className="qr-scanner-toggle"
        onClick={running ? stop : start}
        disabled={phase === "starting"}
        data-testid="camera-toggle"
      >
        {running ? stopLabel || "Stop camera" : startLabel || "Scan with the camera"}
      </button>
      {problem ? (
        <p className="qr-scanner-problem" role="status" data-testid="camera-problem">
          {problem} Type or paste the code below.
        </p>
      ) : null}
    </div>
  );
}
