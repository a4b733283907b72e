package soap

import "github.com/sfemu/sfemu/emulator/internal/gateway"

// wsdlHandler is replaced by the WSDL download when it lands.
func (s *Service) wsdlHandler() gateway.Handler {
	return func(*gateway.Call) (gateway.Response, error) { return gateway.Response{}, clientFault("WSDL download not built yet") }
}
