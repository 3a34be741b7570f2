module.exports = () => "hello from cargohold";
