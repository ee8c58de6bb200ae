// Placeholder until the demo issue lands: prints where the demo will be.
console.log('cos-sign demo: not built yet (see issue "Demo")');
